#!/usr/bin/python3
"""make-reference.py: the PyTorch reference fixture for gan-train's parity test.

Runs the seed's model and training step (the blog's second script) in PyTorch
at full size (G 100-256-256-784, D 784-256-256-1), from initial weights and
noise that gan-train computes the same way (its PCG32 and samplers,
re-implemented below bit for bit), on the first 3 x 64 images of
data/mnist, and writes tests/fixtures/parity.txt: D(x), D(G(z)), the losses,
every gradient of the first iteration and the parameters after 3 iterations,
for ReLU, LeakyReLU(0.2), a D saturated at exactly 1 and at exactly 0, and the
default recipe's R1 penalty (autograd through the input gradient,
create_graph=True), on every step and lazily. Large tensors are stored as
checksums (sum, sum of |x|, sum of squares) and sampled entries.

Beside it: tests/fixtures/torch-G.safetensors, a PyTorch generator's weights
under the seed's names (written by hand: Debian has no safetensors package),
torch-z.idx (latent vectors, IDX float32) and torch-Gz.idx (G(z) as grey
levels), for `gan-train sample --weights ... --z ...` in tests/cli.sh.

With --conv FILE it writes only the convolution fixture (tests/fixtures/conv.txt)
for test_conv: F.conv2d (stride, zero padding) and F.max_pool2d(x, 2) on
seeded inputs, with the gradients of sum(out * r), and a small network of the
classifier's shape (gan_cnn.h) with its cross-entropy and every parameter's
gradient, for test_cnn; every tensor as gan-train holds it (NHWC images,
weights (OC, KH, KW, C)) and written in full.

Needs Debian's python3-torch (apt-get install python3-torch); it installs
nothing itself and is never needed to build or test gan-train:

    /usr/bin/python3 scripts/make-reference.py [--out tests/fixtures/parity.txt]
    /usr/bin/python3 scripts/make-reference.py --conv tests/fixtures/conv.txt
"""
import argparse
import gzip
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

FORMAT_VERSION = 2
MASK64 = (1 << 64) - 1


class Pcg32:
    """gan_rng.h: PCG-XSH-RR 64/32, seeded like pcg32_srandom_r."""

    def __init__(self, seed, stream):
        self.state = 0
        self.inc = ((stream << 1) | 1) & MASK64
        self.u32()
        self.state = (self.state + seed) & MASK64
        self.u32()

    def u32(self):
        old = self.state
        self.state = (old * 6364136223846793005 + self.inc) & MASK64
        xorshifted = (((old >> 18) ^ old) >> 27) & 0xFFFFFFFF
        rot = old >> 59
        return ((xorshifted >> rot) | (xorshifted << ((-rot) & 31))) & 0xFFFFFFFF

    def uniform(self, lo, hi, n):
        """n floats lo + (hi - lo) * u, u = (u32 >> 8) 2^-24, in float32."""
        u = np.array([self.u32() >> 8 for _ in range(n)], dtype=np.float32)
        u *= np.float32(1.0 / 16777216.0)
        lo, hi = np.float32(lo), np.float32(hi)
        return lo + (hi - lo) * u

    def normal(self, n):
        """gan_rng_normal_fill: Box-Muller in float32 by rng.c's polynomials,
        operation for operation (numpy's float32 arithmetic is IEEE's)."""
        f = np.float32
        pairs = (n + 1) // 2
        draws = np.array([self.u32() >> 8 for _ in range(2 * pairs)], dtype=np.uint32)
        a, c = draws[0::2], draws[1::2]
        k = (a + np.uint32(1)).astype(np.float32)
        kb = k.view(np.uint32)
        e = (kb >> np.uint32(23)).astype(np.int32) - 127
        m = ((kb & np.uint32(0x007FFFFF)) | np.uint32(0x3F800000)).view(np.float32)
        big = m > f(1.41421356)
        m = np.where(big, m * f(0.5), m)
        e = np.where(big, e + 1, e)
        s = (m - f(1.0)) / (m + f(1.0))
        z = s * s
        lm = s * (f(2.0) + z * (f(0.666666667) + z * (f(0.4) + z * (f(0.285714286) +
                  z * (f(0.222222222) + z * f(0.181818182))))))
        fe = (e - 24).astype(np.float32)
        lu = fe * f(0.693359375) + (fe * f(-2.12194440e-4) + lm)
        r = np.sqrt(f(-2.0) * lu)
        q = (c + np.uint32(1 << 21)) >> np.uint32(22)
        phi = (c.astype(np.int32) - (q << np.uint32(22)).astype(np.int32)).astype(np.float32) \
            * f(3.74507039e-7)
        p2 = phi * phi
        sn = phi + phi * p2 * (f(-0.166666667) + p2 * (f(8.33333333e-3) + p2 * (f(-1.98412698e-4) +
                               p2 * (f(2.75573192e-6) + p2 * f(-2.50521084e-8)))))
        cs = f(1.0) + p2 * (f(-0.5) + p2 * (f(4.16666667e-2) + p2 * (f(-1.38888889e-3) +
                            p2 * (f(2.48015873e-5) + p2 * f(-2.75573192e-7)))))
        q = q & np.uint32(3)
        sin_t = np.select([q == 0, q == 1, q == 2], [sn, cs, -sn], -cs)
        cos_t = np.select([q == 0, q == 1, q == 2], [cs, -sn, -cs], sn)
        out = np.empty(2 * pairs, dtype=np.float32)
        out[0::2] = r * cos_t
        out[1::2] = r * sin_t
        assert out.dtype == np.float32
        return out[:n]


def mlp(sizes, act, out_act):
    layers = []
    for i in range(3):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < 2:
            layers.append(act())
    layers.append(out_act())
    return nn.Sequential(*layers)


class CondNet(nn.Module):
    """gan_model.h's MLP reading a class y (issue 19): a class bias on layer l is
    the one-hot of y concatenated to its input; the projection adds
    embed(y) . h2 to output 0; the auxiliary head is a Linear(H2, K) on h2."""

    def __init__(self, sizes, slope, out_act, K, cbias, project=False, aux=False):
        super().__init__()
        self.K, self.cbias, self.sizes = K, cbias, sizes
        self.lins = nn.ModuleList([nn.Linear(sizes[l] + (K if cbias >> l & 1 else 0),
                                             sizes[l + 1]) for l in range(3)])
        self.act = nn.LeakyReLU(slope) if slope > 0 else nn.ReLU()
        self.out_act = out_act()
        self.embed = nn.Embedding(K, sizes[2]) if project else None
        self.aux = nn.Linear(sizes[2], K) if aux else None

    def forward(self, x, y, logit=False):
        onehot = nn.functional.one_hot(y, self.K).float() if self.K else None
        h = x
        for l in range(3):
            if l == 2:
                h2 = h
            inp = torch.cat([h, onehot], 1) if self.cbias >> l & 1 else h
            h = self.lins[l](inp)
            if l < 2:
                h = self.act(h)
        if self.embed is not None:
            h = h + (self.embed(y) * h2).sum(1, keepdim=True)
        out = h if logit else self.out_act(h)
        return out, (self.aux(h2) if self.aux is not None else None)

    def init_like_gan_train(self, rng):
        """gan_mlp_reset: each layer's W (image columns) row by row then b, with
        the bound of nn.Linear(IN + K) where it has a class bias (the auxiliary
        head as W3's and b3's rows past the first); then the class biases (K, OUT)
        and the projection."""
        f = np.float32
        K = self.K
        with torch.no_grad():
            for l, lin in enumerate(self.lins):
                c, oc = self.sizes[l], self.sizes[l + 1]
                bound = f(1.0) / np.sqrt(f(c + (K if self.cbias >> l & 1 else 0)))
                rows = oc + (K if l == 2 and self.aux is not None else 0)
                w = rng.uniform(-bound, bound, rows * c).reshape(rows, c)
                b = rng.uniform(-bound, bound, rows)
                lin.weight[:, :c].copy_(torch.from_numpy(w[:oc]))
                lin.bias.copy_(torch.from_numpy(b[:oc]))
                if rows > oc:
                    self.aux.weight.copy_(torch.from_numpy(w[oc:]))
                    self.aux.bias.copy_(torch.from_numpy(b[oc:]))
            for l, lin in enumerate(self.lins):
                if self.cbias >> l & 1:
                    c, oc = self.sizes[l], self.sizes[l + 1]
                    bound = f(1.0) / np.sqrt(f(c + K))
                    t = rng.uniform(-bound, bound, K * oc).reshape(K, oc)
                    lin.weight[:, c:].copy_(torch.from_numpy(t.T.copy()))
            if self.embed is not None:
                h2 = self.sizes[2]
                bound = f(1.0) / np.sqrt(f(h2))
                self.embed.weight.copy_(torch.from_numpy(
                    rng.uniform(-bound, bound, K * h2).reshape(K, h2)))

    def named(self, prefix, grad=False):
        """Its tensors in gan-train's layout: w1..b3 (W3, b3 with the head's rows
        after output 0's), c1..c3 (a class bias, (K, OUT)), e (the projection)."""
        def t(p):
            return p.grad if grad else p
        out = []
        for l, lin in enumerate(self.lins):
            c = self.sizes[l]
            w, b = t(lin.weight)[:, :c], t(lin.bias)
            if l == 2 and self.aux is not None:
                w = torch.cat([w, t(self.aux.weight)], 0)
                b = torch.cat([b, t(self.aux.bias)], 0)
            out += [("%s.w%d" % (prefix, l + 1), w), ("%s.b%d" % (prefix, l + 1), b)]
        for l, lin in enumerate(self.lins):
            if self.cbias >> l & 1:
                c = self.sizes[l]
                out.append(("%s.c%d" % (prefix, l + 1), t(lin.weight)[:, c:].t()))
        if self.embed is not None:
            out.append(("%s.e" % prefix, t(self.embed.weight)))
        return out


def read_idx_labels(path):
    raw = gzip.open(path).read()
    magic, n = struct.unpack(">II", raw[:8])
    assert magic == 0x801
    return np.frombuffer(raw[8:], dtype=np.uint8).astype(np.int64)


def read_idx_images(path):
    raw = gzip.open(path).read()
    magic, n, rows, cols = struct.unpack(">IIII", raw[:16])
    assert magic == 0x803
    return np.frombuffer(raw[16:], dtype=np.uint8).reshape(n, rows * cols)


class Writer:
    def __init__(self):
        self.lines = []

    def scalar(self, name, v):
        self.lines.append("scalar %s %.17g" % (name, float(v)))

    def vector(self, name, t):
        a = t.detach().double().numpy().ravel()
        self.lines.append("vector %s %d %s" % (name, a.size, " ".join("%.9g" % x for x in a)))

    def tensor(self, name, t, samples=16):
        a = t.detach().double().numpy().ravel()
        n = a.size
        idx = sorted(set((i * 7919 + 13) % n for i in range(min(samples, n))))
        self.lines.append("tensor %s %d %.17g %.17g %.17g %d %s" % (
            name, n, a.sum(), np.abs(a).sum(), (a * a).sum(), len(idx),
            " ".join("%d %.9g" % (i, a[i]) for i in idx)))


def d_losses(loss, out_real, out_fake):
    """L_D and its two terms from D's outputs (bce: probabilities; else logits)."""
    if loss == "bce":
        real = nn.BCELoss()(out_real, torch.ones_like(out_real))
        fake = nn.BCELoss()(out_fake, torch.zeros_like(out_fake))
        return (real + fake) / 2, real, fake
    if loss == "hinge":
        real = torch.relu(1 - out_real).mean()
        fake = torch.relu(1 + out_fake).mean()
    elif loss == "wgan-gp":  # the critic's, without its penalty
        real = -out_real.mean()
        fake = out_fake.mean()
    else:  # lsgan
        real = 0.5 * (out_real - 1).pow(2).mean()
        fake = 0.5 * out_fake.pow(2).mean()
    return real + fake, real, fake


def g_loss(loss, out_fake):
    if loss == "bce":
        return nn.BCELoss()(out_fake, torch.ones_like(out_fake))
    if loss in ("hinge", "wgan-gp"):
        return -out_fake.mean()
    return 0.5 * (out_fake - 1).pow(2).mean()  # lsgan


def ce(aux, y):
    return nn.functional.cross_entropy(aux, y)


def run_case(w, name, images, seed, slope, saturate, iterations=3, batch=64, zdim=100,
             hidden=256, lr=2e-4, beta1=0.9, beta2=0.999, r1=0.0, r1_every=1, loss="bce",
             n_critic=1, gp=0.0, labels=None, classes=0, cond_d=0, cond_g=0, ac=0.0):
    """A case of the fixture. With classes > 0 a conditional one (issue 19):
    cond_d the GAN_COND_* bits (1 concat, 2 projection, 4 acgan), cond_g 1 for
    the one-hot into every layer of G, ac the head's weight; real rows take
    their labels, fake rows classes from stream 3 after z (and alpha)."""
    pixels = images.shape[1]
    K = classes
    G = CondNet([zdim, hidden, hidden, pixels], slope, nn.Tanh, K, (7 if cond_g else 1) if K else 0)
    # bce: the seed's D ends in a sigmoid; the other losses take its logit
    D = CondNet([pixels, hidden, hidden, 1], slope, nn.Sigmoid if loss == "bce" else nn.Identity,
                K, 1 if cond_d & 1 else 0, project=bool(cond_d & 2), aux=bool(cond_d & 4))
    init = Pcg32(seed, 1)
    G.init_like_gan_train(init)
    D.init_like_gan_train(init)
    if saturate:
        # D's last bias set so far out that every output is exactly 1 (or 0)
        # in float32, while the sums stay as well-conditioned as usual
        with torch.no_grad():
            D.lins[2].bias.fill_(float(saturate))
    train = Pcg32(seed, 3)
    optimizer_g = optim.Adam(G.parameters(), lr=lr, betas=(beta1, beta2))
    optimizer_d = optim.Adam(D.parameters(), lr=lr, betas=(beta1, beta2))

    extra = "" if loss == "bce" else " loss=" + loss
    if n_critic != 1 or gp > 0 or beta2 != 0.999 or K:
        extra += " ncritic=%d gp=%g beta2=%g" % (n_critic, gp, beta2)
    if K:
        extra += " classes=%d condd=%d condg=%d ac=%g" % (K, cond_d, cond_g, ac)
    w.lines.append("case %s seed=%d slope=%g saturate=%d iterations=%d batch=%d zdim=%d "
                   "hidden=%d lr=%g beta1=%g r1=%g r1every=%d%s" % (
                       name, seed, slope, saturate, iterations, batch, zdim, hidden, lr, beta1,
                       r1, r1_every, extra))
    for p_name, p in G.named("init.G") + D.named("init.D"):
        w.tensor(p_name, p)
    no_label = torch.zeros(batch, dtype=torch.int64)
    for it in range(iterations):
        u8 = torch.from_numpy(images[it * batch:(it + 1) * batch].copy())
        # ToTensor + Normalize(0.5, 0.5), as torchvision computes them
        real = (u8.float().div(255) - 0.5) / 0.5
        z = torch.from_numpy(train.normal(batch * zdim).reshape(batch, zdim))
        if gp > 0:  # WGAN-GP's interpolation weights, drawn after z
            alpha = torch.from_numpy(train.uniform(0.0, 1.0, batch).reshape(batch, 1))
        y_real, y_fake = no_label, no_label
        if K:  # gan_rng_index: one draw each, (u32 K) >> 32
            y_real = torch.from_numpy(labels[it * batch:(it + 1) * batch].copy())
            y_fake = torch.tensor([(train.u32() * K) >> 32 for _ in range(batch)])

        # the seed's D step
        optimizer_d.zero_grad()
        penalty = r1 > 0 and it % r1_every == 0
        if penalty:
            # R1 (Mescheder et al. 2018): gamma/2 mean_i |d logit(x_i) / d x_i|^2,
            # times K on every K-th step; the loss's gradient through it by autograd
            real.requires_grad_(True)
            logit, aux_real = D(real, y_real, logit=True)
            d_real = torch.sigmoid(logit) if loss == "bce" else logit
            grad_x, = torch.autograd.grad(logit.sum(), real, create_graph=True)
            r1_value = r1 / 2 * grad_x.pow(2).sum(dim=1).mean()
        else:
            d_real, aux_real = D(real, y_real)
        gen_imgs = G(z, y_fake)[0].detach()
        d_fake = D(gen_imgs, y_fake)[0]
        loss_d, d_real_loss, d_fake_loss = d_losses(loss, d_real, d_fake)
        if aux_real is not None:  # ACGAN: the head learns the real rows' classes
            loss_d = loss_d + ac * ce(aux_real, y_real)
        if penalty:
            (loss_d + r1_every * r1_value).backward()
            w.scalar("r1.%d" % it, r1_value.item())
            real = real.detach()
        elif gp > 0:
            # WGAN-GP (Gulrajani et al. 2017): lambda mean_i (|grad l(x_hat_i)| - 1)^2
            # at x_hat = alpha x + (1 - alpha) G(z), by autograd (the real rows' labels)
            x_hat = (alpha * real + (1 - alpha) * gen_imgs).requires_grad_(True)
            grad_x, = torch.autograd.grad(D(x_hat, y_real, logit=True)[0].sum(), x_hat,
                                          create_graph=True)
            gp_value = gp * (grad_x.norm(2, dim=1) - 1).pow(2).mean()
            (loss_d + gp_value).backward()
            w.scalar("gp.%d" % it, gp_value.item())
            w.scalar("wass.%d" % it, -(d_real_loss + d_fake_loss).item())
        else:
            loss_d.backward()
        if it == 0:
            w.tensor("x0", real)
            w.tensor("z0", z)
            w.vector("d_real", d_real)
            w.vector("d_fake", d_fake)
            for p_name, p in D.named("grad.D", grad=True):
                w.tensor(p_name, p)
        optimizer_d.step()

        # the seed's G step, after every n_critic-th D step, on that step's z
        if (it + 1) % n_critic == 0:
            optimizer_g.zero_grad()
            gen_imgs = G(z, y_fake)[0]
            out, aux_fake = D(gen_imgs, y_fake)
            loss_g = g_loss(loss, out)
            if aux_fake is not None:  # and G the classes it was asked for
                loss_g = loss_g + ac * ce(aux_fake, y_fake)
            loss_g.backward()
            if it == n_critic - 1:
                for p_name, p in G.named("grad.G", grad=True):
                    w.tensor(p_name, p)
            optimizer_g.step()
        w.scalar("loss_real.%d" % it, d_real_loss.item())
        w.scalar("loss_fake.%d" % it, d_fake_loss.item())
        w.scalar("loss_d.%d" % it, loss_d.item())
        if (it + 1) % n_critic == 0:
            w.scalar("loss_g.%d" % it, loss_g.item())
    for p_name, p in G.named("final.G") + D.named("final.D"):
        w.tensor(p_name, p)
    w.lines.append("end")


def write_safetensors(path, tensors, metadata=None):
    """safetensors by hand (Debian has no safetensors package): an 8-byte
    little-endian header length, the JSON header (padded with spaces to a
    multiple of 8), then each tensor's little-endian F32 data in order."""
    import json
    header, blobs, at = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors:
        a = t.detach().numpy().astype("<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [at, at + a.nbytes]}
        blobs.append(a.tobytes())
        at += a.nbytes
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    os.replace(path + ".tmp", path)


def write_idx(path, magic, array):
    """IDX: big-endian magic and sizes, then the data (big-endian for float32)."""
    a = np.ascontiguousarray(array)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in a.shape))
        f.write(a.astype(">f4").tobytes() if a.dtype == np.float32 else a.tobytes())
    os.replace(path + ".tmp", path)


def make_interop(out_dir):
    """A generator trained nowhere but made by PyTorch (the seed's Generator
    with `self.main`, ReLU, tanh; torch's own init from manual_seed 11, 16-64-
    64-784), its safetensors file under the seed's state_dict names with no
    metadata (as a PyTorch user would write it), 6 latent vectors as IDX
    float32, and G(z) as grey levels the way save_image rounds them."""
    torch.manual_seed(11)

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.main = nn.Sequential(nn.Linear(16, 64), nn.ReLU(True), nn.Linear(64, 64),
                                      nn.ReLU(True), nn.Linear(64, 784), nn.Tanh())

        def forward(self, z):
            return self.main(z)

    G = Generator()
    z = torch.randn(6, 16)
    with torch.no_grad():
        x = G(z).numpy().astype(np.float32)
    f = np.float32
    grey = np.clip(np.floor((x + f(1)) * f(0.5) * f(255) + f(0.5)), 0, 255).astype(np.uint8)
    write_safetensors(os.path.join(out_dir, "torch-G.safetensors"), list(G.state_dict().items()))
    write_idx(os.path.join(out_dir, "torch-z.idx"), 0x00000D02, z.numpy().astype(np.float32))
    write_idx(os.path.join(out_dir, "torch-Gz.idx"), 0x00000803, grey.reshape(6, 28, 28))

    # a conditional G (issue 19) as a PyTorch user writes one: the one-hot of
    # the class concatenated to the input of every layer (gan-train's
    # --cond-g all), saved with the metadata gan-train's export writes; the
    # same z, classes 3, 3, 3, 7, 7, 7 (sample --class 3,7)
    class CondGenerator(nn.Module):
        def __init__(self, k=10):
            super().__init__()
            self.k = k
            self.main = nn.Sequential(nn.Linear(16 + k, 64), nn.ReLU(True),
                                      nn.Linear(64 + k, 64), nn.ReLU(True),
                                      nn.Linear(64 + k, 784), nn.Tanh())

        def forward(self, z, y):
            onehot = nn.functional.one_hot(y, self.k).float()
            h = z
            for i in (0, 2, 4):
                h = self.main[i + 1](self.main[i](torch.cat([h, onehot], 1)))
            return h

    CG = CondGenerator()
    y = torch.tensor([3, 3, 3, 7, 7, 7])
    with torch.no_grad():
        x = CG(z, y).numpy().astype(np.float32)
    grey = np.clip(np.floor((x + f(1)) * f(0.5) * f(255) + f(0.5)), 0, 255).astype(np.uint8)
    meta = {"network": "generator", "conditional": "true", "classes": "10", "cond_g": "all",
            "class_names": "\n".join("zero one two three four five six seven eight nine".split())}
    write_safetensors(os.path.join(out_dir, "torch-cG.safetensors"),
                      list(CG.state_dict().items()), meta)
    write_idx(os.path.join(out_dir, "torch-cGz.idx"), 0x00000803, grey.reshape(6, 28, 28))


def gp_fixture(path):
    """tests/fixtures/gp.txt: WGAN-GP's penalty (issue 18) on a small D of the
    seed's shape (IN-H-H-1, LeakyReLU, no output activation) at B rows x_hat:
    R = lambda / B sum_i (|d l(x_i) / d x_i| - 1)^2 by autograd (create_graph),
    and R's gradient with respect to every parameter, in gan-train's order
    (W1, b1, W2, b2, W3, b3; W as (out, in)). Two cases: weights whose input
    gradients are below 1, and 3 times them (above)."""
    rng = np.random.default_rng(20261130 + 18)
    lines = ["# gan-train gradient-penalty fixture, made by scripts/make-reference.py --gp",
             "# with torch %s, numpy %s" % (torch.__version__, np.__version__)]

    def put(key, t):
        a = t.detach().numpy().astype(np.float32).ravel()
        lines.append(key + " " + " ".join("%.9g" % v for v in a))

    b, n_in, h, slope, lam = 4, 6, 8, 0.2, 10.0
    base = [rng.uniform(-1, 1, size=shape).astype(np.float32) * 0.4
            for shape in [(h, n_in), (h,), (h, h), (h,), (1, h), (1,)]]
    x = torch.tensor(rng.uniform(-1, 1, size=(b, n_in)).astype(np.float32))
    for scale in (1.0, 3.0):
        D = mlp([n_in, h, h, 1], lambda: nn.LeakyReLU(slope), nn.Identity)
        with torch.no_grad():
            for p, v in zip(D.parameters(), base):
                p.copy_(torch.tensor(v * np.float32(scale)))
        xh = x.clone().requires_grad_(True)
        logits = D(xh)
        g, = torch.autograd.grad(logits.sum(), xh, create_graph=True)
        pen = lam / b * ((g.norm(2, dim=1) - 1) ** 2).sum()
        pen.backward()
        lines.append("gp %d %d %d %g %g" % (b, n_in, h, slope, lam))
        put("params", torch.cat([p.detach().reshape(-1) for p in D.parameters()]))
        put("x", x)
        put("norms", g.norm(2, dim=1))
        lines.append("penalty %.9g" % pen.item())
        # (the last bias does not enter the penalty: autograd leaves it None)
        put("grads", torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p))
                                .reshape(-1) for p in D.parameters()]))
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)
    print("wrote %s (%d lines)" % (path, len(lines)))


def conv_fixture(path):
    """tests/fixtures/conv.txt: cases "conv B H W C OC K stride pad" and
    "pool B H W C", each followed by its arrays, one a line: x, w, b (conv), r,
    out, dx, dw, db (conv); NHWC, weights OHWI, float32 as %.9g (exact)."""
    import torch.nn.functional as F
    rng = np.random.default_rng(20261130)
    lines = ["# gan-train convolution fixture, made by scripts/make-reference.py --conv",
             "# with torch %s, numpy %s; loss = sum(out * r); NHWC, weights (OC, KH, KW, C)"
             % (torch.__version__, np.__version__)]

    def put(key, t):
        a = t.detach().numpy().astype(np.float32).ravel()
        lines.append(key + " " + " ".join("%.9g" % v for v in a))

    def uniform(*shape):
        return torch.tensor(rng.uniform(-1, 1, size=shape).astype(np.float32))

    for (b, h, w, c, oc, k, stride, pad) in [(2, 7, 6, 3, 4, 3, 1, 1), (2, 9, 8, 2, 3, 5, 2, 2),
                                             (1, 28, 28, 1, 4, 5, 1, 2), (2, 6, 7, 3, 2, 1, 1, 0)]:
        lines.append("conv %d %d %d %d %d %d %d %d" % (b, h, w, c, oc, k, stride, pad))
        x = uniform(b, h, w, c).requires_grad_()
        wt = (uniform(oc, k, k, c) * 0.5).requires_grad_()
        bias = (uniform(oc) * 0.5).requires_grad_()
        out = F.conv2d(x.permute(0, 3, 1, 2), wt.permute(0, 3, 1, 2), bias, stride=stride,
                       padding=pad).permute(0, 2, 3, 1)
        r = uniform(*out.shape)
        (out * r).sum().backward()
        for key, t in (("x", x), ("w", wt), ("b", bias), ("r", r), ("out", out),
                       ("dx", x.grad), ("dw", wt.grad), ("db", bias.grad)):
            put(key, t)
    for (b, h, w, c) in [(2, 6, 6, 3), (1, 7, 5, 2)]:
        lines.append("pool %d %d %d %d" % (b, h, w, c))
        x = uniform(b, h, w, c).requires_grad_()
        out = F.max_pool2d(x.permute(0, 3, 1, 2), 2).permute(0, 2, 3, 1)
        r = uniform(*out.shape)
        (out * r).sum().backward()
        for key, t in (("x", x), ("r", r), ("out", out), ("dx", x.grad)):
            put(key, t)
    # the classifier's network (gan_cnn.h) at a small size: conv 3x3 -> ReLU ->
    # pool -> conv 3x3 -> ReLU -> pool -> linear -> ReLU -> linear, softmax
    # cross-entropy; its parameters in gan-train's order and layouts (a
    # linear weight after the flatten takes HWC columns: torch's are CHW)
    b, h, w, c, classes, c1, c2, k, fc = 3, 8, 8, 2, 3, 3, 4, 3, 5
    lines.append("cnn %d %d %d %d %d %d %d %d %d" % (b, h, w, c, classes, c1, c2, k, fc))
    h2, w2 = h // 4, w // 4
    x = uniform(b, h, w, c)
    y = torch.tensor(rng.integers(0, classes, size=b))
    ps = [uniform(c1, k, k, c) * 0.5, uniform(c1) * 0.5, uniform(c2, k, k, c1) * 0.5,
          uniform(c2) * 0.5, uniform(fc, h2, w2, c2) * 0.5, uniform(fc) * 0.5,
          uniform(classes, fc) * 0.5, uniform(classes) * 0.5]
    for p in ps:
        p.requires_grad_()
    t = F.relu(F.conv2d(x.permute(0, 3, 1, 2), ps[0].permute(0, 3, 1, 2), ps[1], padding=k // 2))
    t = F.max_pool2d(t, 2)
    t = F.relu(F.conv2d(t, ps[2].permute(0, 3, 1, 2), ps[3], padding=k // 2))
    t = F.max_pool2d(t, 2).flatten(1)
    t = F.relu(F.linear(t, ps[4].permute(0, 3, 1, 2).reshape(fc, -1), ps[5]))
    logits = F.linear(t, ps[6], ps[7])
    loss = F.cross_entropy(logits, y)
    loss.backward()
    put("x", x)
    lines.append("y " + " ".join(str(int(v)) for v in y))
    put("params", torch.cat([p.detach().reshape(-1) for p in ps]))
    put("logits", logits)
    lines.append("loss %.9g" % loss.item())
    put("grads", torch.cat([p.grad.reshape(-1) for p in ps]))
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)
    print("wrote %s (%d lines)" % (path, len(lines)))


def write_keeping(path, lines, fresh):
    """Writes the fixture; unless fresh, a case already in the file keeps its
    bytes (another torch may round the last digit differently) and only cases
    not there are appended."""
    blocks, head, cur = [], [], None
    for line in lines:
        if line.startswith("case "):
            cur = [line]
        elif cur is not None:
            cur.append(line)
            if line == "end":
                blocks.append(cur)
                cur = None
        else:
            head.append(line)
    out = head + [x for b in blocks for x in b]
    if not fresh and os.path.exists(path):
        old = open(path).read().rstrip("\n").split("\n")
        have = {l.split()[1] for l in old if l.startswith("case ")}
        out = old + [x for b in blocks if b[0].split()[1] not in have for x in b]
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(out) + "\n")
    os.replace(tmp, path)
    print("wrote %s (%d lines)" % (path, len(out)))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(root, "data/mnist"))
    ap.add_argument("--out", default=os.path.join(root, "tests/fixtures/parity.txt"))
    ap.add_argument("--conv", metavar="FILE", help="write only the convolution fixture")
    ap.add_argument("--gp", metavar="FILE", help="write only the gradient-penalty fixture")
    ap.add_argument("--fresh", action="store_true",
                    help="rewrite every case (else the cases already in --out stay as they are, "
                    "byte for byte, and only new ones are appended)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.conv:
        conv_fixture(args.conv)
        return
    if args.gp:
        gp_fixture(args.gp)
        return
    images = read_idx_images(os.path.join(args.data, "train-images-idx3-ubyte.gz"))
    w = Writer()
    w.lines.append("# gan-train parity fixture, format %d" % FORMAT_VERSION)
    w.lines.append("# made by scripts/make-reference.py with torch %s, numpy %s, python %s"
                   % (torch.__version__, np.__version__, sys.version.split()[0]))
    w.lines.append("# inputs: data/mnist train images 0..191 in order; weights, z and"
                   " wgan-gp's alpha from gan-train's PCG32 (seed streams 1 and 3)")
    run_case(w, "relu", images, seed=7, slope=0.0, saturate=0)
    run_case(w, "leaky", images, seed=8, slope=0.2, saturate=0)
    run_case(w, "saturated-one", images, seed=9, slope=0.0, saturate=40, iterations=2)
    run_case(w, "saturated-zero", images, seed=10, slope=0.0, saturate=-120, iterations=2)
    # the default recipe (LeakyReLU 0.2, beta1 0.5, R1 10) with the penalty on
    # every step, and ReLU with it lazily on every 2nd step (x2)
    run_case(w, "r1", images, seed=11, slope=0.2, saturate=0, beta1=0.5, r1=10.0, r1_every=1)
    run_case(w, "r1-lazy", images, seed=12, slope=0.0, saturate=0, beta1=0.5, r1=10.0,
             r1_every=2)
    # the losses on D's logit (issue 18): hinge with the lazy penalty, least squares.
    # (Hinge's D starts with its last bias at 1: at PyTorch's init every logit is
    # near 0, inside the margin, so each real row's gradient would be -1/b and each
    # fake row's +1/b, and a hidden unit active on all 2b rows would get gradients
    # that cancel to exactly 0 in one summation order and to 1e-9 in another, which
    # Adam's first step, g / (|g| + eps), turns into differences of lr / 10. With
    # the logits near 1 about half the real rows are past the margin, and nothing
    # cancels.)
    run_case(w, "hinge", images, seed=13, slope=0.2, saturate=1, beta1=0.5, r1=10.0,
             r1_every=2, loss="hinge")
    run_case(w, "lsgan", images, seed=14, slope=0.2, saturate=0, beta1=0.5, loss="lsgan")
    # WGAN-GP with the paper's Adam (lr 1e-4, betas 0 and 0.9) and 2 critic
    # steps per G step, each on its own batch of 32: G steps after D steps 1 and 3
    run_case(w, "wgan-gp", images, seed=15, slope=0.2, saturate=0, iterations=4, batch=32,
             lr=1e-4, beta1=0.0, beta2=0.9, loss="wgan-gp", n_critic=2, gp=10.0)
    # conditional forms (issue 19), on the images' labels: the one-hot beside
    # z and the image with the lazy R1; the projection with G's one-hot at
    # every layer and R1 on every step; concat and the auxiliary head (weight
    # 0.7) at every layer of G; the head alone under WGAN-GP with 2 critic steps.
    # (cond-concat's seed is 20: with seed 16 D's last bias gradient, the sum of
    # 128 terms near +-1/256 that cancel to 3e-4, came out 1.2e-4 apart in
    # relative terms, float rounding of the terms themselves in another order.)
    labels = read_idx_labels(os.path.join(args.data, "train-labels-idx1-ubyte.gz"))
    cond = dict(labels=labels, classes=10)
    run_case(w, "cond-concat", images, seed=20, slope=0.2, saturate=0, beta1=0.5, r1=10.0,
             r1_every=2, cond_d=1, cond_g=0, **cond)
    run_case(w, "cond-projection", images, seed=17, slope=0.2, saturate=0, beta1=0.5, r1=10.0,
             r1_every=1, cond_d=2, cond_g=1, **cond)
    run_case(w, "cond-concat-acgan", images, seed=18, slope=0.0, saturate=0, cond_d=5, cond_g=1,
             ac=0.7, **cond)
    run_case(w, "cond-acgan-wgan", images, seed=19, slope=0.2, saturate=0, iterations=4, batch=32,
             lr=1e-4, beta1=0.0, beta2=0.9, loss="wgan-gp", n_critic=2, gp=10.0, cond_d=4,
             cond_g=0, ac=1.0, **cond)
    write_keeping(args.out, w.lines, args.fresh)
    make_interop(os.path.dirname(args.out))
    print("wrote torch-G.safetensors, torch-z.idx, torch-Gz.idx beside it")


if __name__ == "__main__":
    main()
