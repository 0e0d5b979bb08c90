"""A small CNN and three refactors of it, checked on the weights training updates.

``Net`` is Conv2d(1, 1, 2) → relu → MaxPool2d(2) → Linear(1, 1) on a 1×1×3×3 image
(16 inputs: 9 pixels; 4 weights and a bias in the convolution, a weight and a bias in
the linear layer). Each refactor keeps the same layers (the same ``state_dict`` keys)
and computes the same function; whether training sees the same gradient is another
matter:

* ``NetClamp``: ``F.relu(h)`` → ``torch.clamp(h, min=0)``. torch's clamp passes the
  gradient at the bound (clamp'(0) = 1), relu does not (relu'(0) = 0): the weight
  gradients differ wherever a pre-activation is exactly 0.
* ``NetUnfoldPool``: ``nn.MaxPool2d(2)`` → windows cut with ``unfold`` and ``amax``
  over each. At a tie inside a window max_pool2d gives the whole gradient to one entry,
  ``amax`` splits it evenly over the tied entries.
* ``NetUnfoldMax``: the same windows, but ``.max(dim=-1).values`` over each: like
  max_pool2d it gives a tied window's gradient to its first maximal entry, so the
  gradients are the same everywhere.
* ``NetReLUModule``: ``F.relu`` → an ``nn.ReLU()`` layer (no parameters): the same
  gradients everywhere.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, kernel_size=2)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(1, 1)

    def forward(self, x):
        h = F.relu(self.conv(x))
        h = self.pool(h)
        return self.fc(torch.flatten(h, 1))


class NetClamp(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, kernel_size=2)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(1, 1)

    def forward(self, x):
        h = torch.clamp(self.conv(x), min=0)
        h = self.pool(h)
        return self.fc(torch.flatten(h, 1))


class NetUnfoldPool(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, kernel_size=2)
        self.fc = nn.Linear(1, 1)

    def forward(self, x):
        h = F.relu(self.conv(x))
        windows = h.unfold(2, 2, 2).unfold(3, 2, 2)       # (N, C, H/2, W/2, 2, 2)
        h = windows.flatten(-2).amax(dim=-1)              # the max of each 2×2 window
        return self.fc(torch.flatten(h, 1))


class NetUnfoldMax(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, kernel_size=2)
        self.fc = nn.Linear(1, 1)

    def forward(self, x):
        h = F.relu(self.conv(x))
        windows = h.unfold(2, 2, 2).unfold(3, 2, 2)
        h = windows.flatten(-2).max(dim=-1).values
        return self.fc(torch.flatten(h, 1))


class NetReLUModule(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, kernel_size=2)
        self.act = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(1, 1)

    def forward(self, x):
        h = self.pool(self.act(self.conv(x)))
        return self.fc(torch.flatten(h, 1))
