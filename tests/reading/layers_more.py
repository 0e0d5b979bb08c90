"""Layers with strides, padding, dilation and groups; pooling; batch norm; unfold; losses."""
import math

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


class TransposedConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(2, 2, 2, stride=2, padding=1, output_padding=1, groups=2)
        self.up1 = nn.ConvTranspose1d(1, 2, 3, stride=2, dilation=2)

    def forward(self, x):
        return torch.relu(self.up(x)).sum() + F.hardtanh(self.up1(x[0, 0, :1])).sum()


class GroupInstanceNorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.gn = nn.GroupNorm(2, 4)
        self.inorm = nn.InstanceNorm1d(4, affine=True)

    def forward(self, x):
        return torch.relu(self.gn(x) - 0.5).sum() + torch.relu(self.inorm(x)).max()


class Volumetric(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(1, 2, 2)
        self.pool = nn.MaxPool3d(2, stride=1)
        self.avg = nn.AvgPool3d(2)
        self.bn = nn.BatchNorm3d(2)

    def forward(self, x):
        h = torch.relu(self.bn(self.conv(x)))
        return self.pool(h).sum() + self.avg(h).sum() + F.max_pool3d(x, 2).sum()


def contractions(x: "float[2, 3]", W: "float[3, 2]", v: "float[2]"):
    s = torch.einsum("bi,ij->bj", x, W)
    t = torch.einsum("...j,j", s, v) + torch.einsum("ii", s @ s.T)
    return torch.relu(s).sum() + torch.relu(t).max() + torch.outer(v, torch.relu(v)).max()


def triangles_and_scans(x: "float[3, 3]"):
    upper = torch.relu(torch.triu(x) - torch.tril(x, diagonal=-1).T).sum()
    return upper + torch.cumprod(x, dim=1).abs().sum() + x.narrow(1, 1, 2).max() + torch.relu(x.select(0, -1)).sum()


def attention(q: "float[1, 3, 2]", k: "float[1, 3, 2]", v: "float[1, 3, 1]"):
    causal = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    keep = torch.ones(3, 3).triu().bool()
    masked = F.scaled_dot_product_attention(q, k, v, attn_mask=keep, scale=0.5)
    return torch.relu(causal - masked).sum() + F.scaled_dot_product_attention(q, q, v).max()


def gelu_by_hand(x: "float[2]"):
    return torch.relu(0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))
                      - math.e / 10).sum()


def causal_mask_fill(s: "float[3, 3]"):
    s = s.masked_fill(torch.triu(torch.ones(3, 3), diagonal=1) == 1, float("-inf"))
    return torch.softmax(s, dim=-1)[2].max() + torch.log_softmax(s, dim=-1)[1, 0] + torch.relu(s[2] - 1).sum()


def padding(x: "float[1, 2, 3]"):
    a = F.pad(x, (1, 2), mode="reflect")
    c = F.pad(x, (1, 1, 0, 1), value=0.5)
    r = F.pad(x, (2, 1), mode="replicate")
    ci = F.pad(x, (1, 2), mode="circular")
    return torch.relu(a).sum() + c.max() + torch.relu(r - 1).sum() + ci.abs().sum() + F.pad(x, (-1, 0)).max()


class PaddingAndActivationModules(nn.Module):
    def __init__(self):
        super().__init__()
        self.z = nn.ZeroPad2d(1)
        self.r = nn.ReflectionPad1d((1, 1))
        self.c = nn.ConstantPad1d(2, 3.0)
        self.t = nn.Tanh()
        self.s = nn.Sigmoid()
        self.m = nn.Softmin(dim=-1)

    def forward(self, x):
        return (self.z(x).max() + self.t(self.r(x)).sum() + self.s(self.c(x)).sum() + self.m(x).max()
                + F.tanhshrink(x).sum())


def kl_divergence(p: "float[2, 3]", q: "float[2, 3]"):
    target = torch.softmax(q, dim=-1)
    loss = F.kl_div(torch.log_softmax(p, dim=-1), target, reduction="batchmean")
    return loss + nn.KLDivLoss(reduction="sum", log_target=True)(torch.relu(p), q) + torch.relu(p - q).sum()


def resampling(x: "float[1, 1, 2, 3]", v: "float[1, 2, 3]"):
    a = F.interpolate(x, scale_factor=2, mode="nearest")
    b = F.interpolate(x, size=(3, 4), mode="bilinear", align_corners=False)
    c = F.interpolate(x, size=(3, 5), mode="bilinear", align_corners=True)
    d = F.interpolate(x, size=(3, 2), mode="nearest-exact")
    # scale 1 / 1.5 is not a binary fraction: torch's rounded weights decide the ties
    e = F.interpolate(v, scale_factor=1.5, mode="linear")
    return torch.relu(a - 1).sum() + b.max() + torch.relu(c).sum() + d.abs().sum() + torch.relu(e - 0.5).sum()


class UpsampleShuffle(nn.Module):
    def __init__(self):
        super().__init__()
        self.up = nn.Upsample(scale_factor=2, mode="bilinear")
        self.ps = nn.PixelShuffle(2)
        self.pu = nn.PixelUnshuffle(2)

    def forward(self, x):
        y = self.ps(x)
        return torch.relu(self.up(y)).max() + (self.pu(y) * torch.arange(4.0).reshape(1, 4, 1, 1)).sum()
