"""Modules read through forward: parameters become inputs named by their state_dict keys."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, kernel_size=2)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(2, 1)

    def forward(self, x):
        x = F.relu(self.conv(x))
        x = self.pool(x)
        x = torch.flatten(x, 1)
        return self.fc(x)


class MLP(nn.Module):
    def __init__(self, n_in=2, hidden=3):
        super(MLP, self).__init__()
        self.layers = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x):
        return self.layers(x)


class Conv1dNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 2, kernel_size=2, stride=1, padding=1, dilation=1, groups=2, bias=False)
        self.act = nn.LeakyReLU(0.25)
        self.scale = nn.Parameter(torch.tensor([0.5]))

    def forward(self, x):
        h = self.act(self.conv(x))
        return F.max_pool1d(h, 2).sum() * self.scale


class HingeLoss(torch.nn.Module):
    def __init__(self, margin=1.0):
        super(HingeLoss, self).__init__()
        self.margin = margin

    def hinge_loss(self, input, target):
        output = self.margin - input.mul(target * 2 - 1)
        output[output.le(0)] = 0
        return output.mean()

    def forward(self, input, target):
        return self.hinge_loss(input, target)


class SmoothL1(nn.Module):
    def __init__(self, beta=1.0):
        super().__init__()
        self.beta = beta

    def forward(self, pred, target):
        assert pred.size() == target.size() and target.numel() > 0
        diff = torch.abs(pred - target)
        loss = torch.where(diff < self.beta, 0.5 * diff * diff / self.beta, diff - 0.5 * self.beta)
        return loss.sum()


class InPlaceBlock(nn.Module):
    """In-place operations overwrite their argument: ``alias`` is the same tensor as ``h``,
    so ``alias += 1`` and the in-place ``ReLU6`` both change what it holds."""

    def __init__(self):
        super().__init__()
        self.act = nn.ReLU6(inplace=True)
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        h = x + 0.5
        alias = h
        alias += 1
        out = self.act(h) * 2
        return self.fc(out) + alias


class SoftmaxHead(nn.Module):
    """Log-exp layers around a kink: Linear, SiLU, clamp, LogSoftmax."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.act = nn.SiLU()
        self.out = nn.LogSoftmax(dim=-1)

    def forward(self, x):
        return self.out(torch.clamp(self.act(self.fc(x)), max=1.0))


class PReLUNet(nn.Module):
    """nn.PReLU's slopes are a parameter (``act.weight``), one per channel."""

    def __init__(self):
        super().__init__()
        self.act = nn.PReLU(2)

    def forward(self, x):
        return self.act(x).amax(dim=-1)


class DropoutBlock(nn.Module):
    def __init__(self, p=0.1):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.drop = nn.AlphaDropout(p)
        self.p = p

    def forward(self, x):
        h = F.dropout(torch.relu(self.fc(x)), p=self.p, training=self.training)
        if self.training:
            h = h * 2
        return self.drop(F.alpha_dropout(h, 0.5, False)).max()


class Recurrent(nn.Module):
    """A relu RNN (kinks at every step), then an LSTM and a GRU cell pass (smooth)."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(1, 2, nonlinearity="relu", batch_first=True)
        self.lstm = nn.LSTM(2, 1)
        self.gru = nn.GRU(1, 1, bidirectional=True)

    def forward(self, x):
        out, h = self.rnn(x)
        y, (hn, cn) = self.lstm(out[:, -1:])
        g, gh = self.gru(y)
        return out.sum() + torch.relu(h).max() + cn.sum() + g.sum() + gh.max()
