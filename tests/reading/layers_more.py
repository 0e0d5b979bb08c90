"""Layers with strides, padding, dilation and groups; pooling; batch norm; unfold; losses."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class StridedConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 2, kernel_size=2, stride=2, padding=1, dilation=1, groups=2)
        self.bn = nn.BatchNorm2d(2)
        self.pool = nn.AvgPool2d(2, stride=1)

    def forward(self, x):
        return F.relu6(self.pool(self.bn(self.conv(x)))).sum()


class DilatedConv1d(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv1d(1, 2, 2, dilation=2, padding=1), nn.Hardtanh(), nn.Flatten(),
                                 nn.Identity(), nn.Dropout(0.5), nn.Linear(8, 1))

    def forward(self, x):
        return self.net(x)


def unfolded(x: "float[1, 1, 3, 3]"):
    cols = F.unfold(x, kernel_size=2)
    windows = x[0, 0].unfold(0, 2, 1)
    return cols.max(dim=1).values.sum() + windows.amin() + F.adaptive_avg_pool2d(x, 1).sum()


def functional(x: "float[1, 1, 3]", w: "float[2, 1, 2]", W: "float[2, 2]"):
    h = F.conv1d(x, w, stride=1)
    return F.linear(h.flatten(), torch.ones(2, 4) * 0.5).max() + (W @ W.T).abs().sum()


def losses(a: "float[3]", b: "float[3]", y: "float[3]"):
    return (F.smooth_l1_loss(a, b, beta=0.5) + F.huber_loss(a, b, delta=2.0) + F.l1_loss(a, b)
            + F.mse_loss(a, b, reduction="sum") + F.margin_ranking_loss(a, b, y, margin=1.0))


def triplet(a: "float[2, 2]", p: "float[2, 2]", n: "float[2, 2]"):
    return F.triplet_margin_loss(a, p, n, margin=1.0)
