"""Models written with torch.nn for the import tests, after torchvision's own code
(torchvision/models/resnet.py: BasicBlock, ResNet-18 = [2, 2, 2, 2]; mobilenetv2.py:
InvertedResidual with ReLU6 and a linear bottleneck) and as an instructor writes them.

``pooled=True`` puts torchvision's global average pooling as a fixed-size ``AvgPool2d`` (the
same numbers at the input size tested); ``pooled=False`` is torchvision's own head
(``AdaptiveAvgPool2d`` or ``F.adaptive_avg_pool2d``, ``Dropout``). The sequence models are
written as PyTorch's tutorials and an instructor's notebook write them (batch first).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


def conv3x3(c_in: int, c_out: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = conv3x3(c_in, c_out, stride)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(c_out, c_out)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.downsample: nn.Module | None = None
        if stride != 1 or c_in != c_out:
            self.downsample = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet18(nn.Module):
    def __init__(self, pooled: bool = True, pool: int = 2, classes: int = 1000) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        widths, c_in, stages = (64, 128, 256, 512), 64, []
        for i, width in enumerate(widths):
            stride = 1 if i == 0 else 2
            stages.append(nn.Sequential(BasicBlock(c_in, width, stride), BasicBlock(width, width)))
            c_in = width
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool: nn.Module = nn.AvgPool2d(pool) if pooled else nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


def conv_bn_relu6(c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1) -> Any:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU6(inplace=True),
    )


class InvertedResidual(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = c_in * expand
        self.use_res_connect = stride == 1 and c_in == c_out
        layers: list[nn.Module] = []
        if expand != 1:
            layers.append(conv_bn_relu6(c_in, hidden, 1))
        layers += [
            conv_bn_relu6(hidden, hidden, 3, stride, groups=hidden),
            nn.Conv2d(hidden, c_out, 1, bias=False),
            nn.BatchNorm2d(c_out),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.use_res_connect:
            return x + self.conv(x)
        return self.conv(x)


class MobileNetV2(nn.Module):
    """MobileNetV2's first stages (t, c, n, s) = (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2),
    a 1×1 convolution to 1280 channels and the classifier."""

    def __init__(self, pooled: bool = True, pool: int = 8, classes: int = 10) -> None:
        super().__init__()
        features: list[nn.Module] = [conv_bn_relu6(3, 32, 3, stride=2)]
        c_in = 32
        for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2)):
            for i in range(n):
                features.append(InvertedResidual(c_in, c, s if i == 0 else 1, t))
                c_in = c
        features.append(conv_bn_relu6(c_in, 1280, 1))
        self.features = nn.Sequential(*features)
        self.pooled = pooled
        self.pool = nn.AvgPool2d(pool)
        head: list[nn.Module] = [] if pooled else [nn.Dropout(0.2)]
        self.classifier = nn.Sequential(*head, nn.Linear(1280, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        pooled = nn.functional.adaptive_avg_pool2d(x, (1, 1)) if not self.pooled else None
        x = self.pool(x) if pooled is None else pooled
        return self.classifier(torch.flatten(x, 1))


class SmallTransformer(nn.Module):
    """Token embedding, one encoder layer (multi-head attention, feed-forward) and a head."""

    def __init__(self, vocab: int = 100, d: int = 32) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.encoder = nn.TransformerEncoderLayer(d, nhead=4, dim_feedforward=64, batch_first=True)
        self.head = nn.Linear(d, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(self.embed(tokens)))


class EncoderClassifier(nn.Module):
    """``nn.TransformerEncoder`` of two pre-norm GELU layers and a final norm, then the
    flattened sequence classified."""

    def __init__(self, vocab: int = 50, d: int = 16, length: int = 8) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        layer = nn.TransformerEncoderLayer(
            d, 2, dim_feedforward=48, activation="gelu", norm_first=True, batch_first=True
        )
        self.encoder = nn.TransformerEncoder(
            layer, 2, norm=nn.LayerNorm(d), enable_nested_tensor=False
        )
        self.classify = nn.Sequential(nn.Flatten(), nn.Dropout(0.1), nn.Linear(length * d, 3))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.classify(self.encoder(self.embed(tokens)))


class HandBlock(nn.Module):
    """A transformer block as an instructor writes it: pre-norm self-attention and a
    feed-forward network, each added back to its input."""

    def __init__(self, d: int = 24, heads: int = 3, hidden: int = 96) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.ff(self.norm2(x))


class LSTMClassifier(nn.Module):
    """Tokens, an embedding, an LSTM, and the last layer's final hidden state classified."""

    def __init__(self, vocab: int = 200, d: int = 16, hidden: int = 32) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.lstm = nn.LSTM(d, hidden, num_layers=2, batch_first=True)
        self.fc = nn.Linear(hidden, 2)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        _, (h, _) = self.lstm(self.embed(tokens))
        return self.fc(h[-1])


class GRUTagger(nn.Module):
    """A bidirectional GRU tagging every position, and a one-way RNN whose last position is
    read (``out[:, -1, :]``)."""

    def __init__(self, d: int = 10) -> None:
        super().__init__()
        self.gru = nn.GRU(d, 12, bidirectional=True, batch_first=True)
        self.rnn = nn.RNN(24, 8, nonlinearity="relu", batch_first=True, bias=False)
        self.out = nn.Linear(8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        seq, _ = self.gru(x)
        out, _ = self.rnn(seq)
        return self.out(out[:, -1, :])


class Conv1dNet(nn.Module):
    """A 1-D signal network (C × L input): convolutions, norms, pooling, a transposed
    convolution, adaptive pooling, a classifier."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(2, 8, 5, padding=2), nn.BatchNorm1d(8), nn.ReLU(),
            nn.MaxPool1d(2, ceil_mode=True), nn.Conv1d(8, 8, 3, groups=2, dilation=2),
            nn.InstanceNorm1d(8, affine=True), nn.ConvTranspose1d(8, 4, 4, stride=2, padding=1),
            nn.AvgPool1d(3, stride=1, padding=1), nn.AdaptiveMaxPool1d(4),
        )  # fmt: skip
        self.head = nn.Linear(16, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.flatten(self.body(x), 1))


class TinyUNet(nn.Module):
    """Down by a strided convolution, up by a transposed one and by interpolation, group and
    instance norms, a skip connection concatenated."""

    def __init__(self) -> None:
        super().__init__()
        self.down = nn.Sequential(
            nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.GroupNorm(4, 16), nn.ReLU()
        )
        self.up = nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)
        self.side = nn.Sequential(nn.Conv2d(3, 8, 1), nn.InstanceNorm2d(8))
        self.mix = nn.Sequential(
            nn.Conv2d(16, 4, 3, padding=1), nn.Upsample(scale_factor=2, mode="bilinear")
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mix(torch.cat([self.up(self.down(x)), self.side(x)], dim=1))


class Video3d(nn.Module):
    """A 3-D (clip) network: D × H × W volumes of C channels."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv3d(3, 8, (3, 3, 3), padding=1), nn.BatchNorm3d(8), nn.ReLU(),
            nn.MaxPool3d((1, 2, 2)), nn.ConvTranspose3d(8, 4, 2, stride=2),
            nn.InstanceNorm3d(4, track_running_stats=True),
            nn.AvgPool3d(2), nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(4, 2),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class TutorialNet(nn.Module):
    """PyTorch's 60-minute-blitz CNN: functional ReLU and pooling, ``view(-1, 16 * 5 * 5)``."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.max_pool2d(nn.functional.relu(self.conv1(x)), (2, 2))
        x = nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = x.view(-1, 16 * 5 * 5)
        x = nn.functional.dropout(nn.functional.relu(self.fc1(x)), 0.25, self.training)
        return self.fc3(nn.functional.relu(self.fc2(x)))


class Unsupported(nn.Module):
    """What no kind expresses: a learned positional table added, GELU, a sequence-first
    LSTM, mean pooling over the positions."""

    def __init__(self, d: int = 8) -> None:
        super().__init__()
        self.pos = nn.Parameter(torch.zeros(6, d))
        self.act = nn.GELU()
        self.lstm = nn.LSTM(d, d)
        self.fc = nn.Linear(d, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(x + self.pos)
        x, _ = self.lstm(x)
        return self.fc(x.mean(dim=1))


def lenet5() -> nn.Module:
    """LeNet-5 as an instructor writes it: one nn.Sequential."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )  # fmt: skip


class Inception(nn.Module):
    """A hand-written inception module: four branches concatenated along the channels."""

    def __init__(self) -> None:
        super().__init__()
        self.b1 = nn.Conv2d(192, 64, 1)
        self.b2 = nn.Sequential(nn.Conv2d(192, 96, 1), nn.ReLU(), nn.Conv2d(96, 128, 3, padding=1))
        self.b3 = nn.Sequential(nn.Conv2d(192, 16, 1), nn.ReLU(), nn.Conv2d(16, 32, 5, padding=2))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(192, 32, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], dim=1)


class Branchy(nn.Module):
    """Control flow on a value: fx cannot trace it."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x) if x.sum() > 0 else x
