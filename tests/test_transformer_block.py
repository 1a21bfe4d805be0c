"""A pre-LN transformer block (token embedding, causal multi-head self-attention,
GELU MLP, LayerNorm and RMSNorm from `layers`, residual connections, a linear head
and cross-entropy) loaded from a PyTorch state_dict computes the same logits,
loss and parameter gradients as PyTorch, to 1e-10 in float64."""
import numpy as np
import pytest

import layers
import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F

VOCAB, E, HEADS, L, BATCH = 11, 8, 2, 6, 3


class Block(nn.Module):
    def __init__(self, approximate):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, E)
        self.ln1 = layers.LayerNorm(E)
        self.attn = nn.MultiheadAttention(E, HEADS, batch_first=True)
        self.ln2 = layers.RMSNorm(E)
        self.fc1 = nn.Linear(E, 4 * E)
        self.act = nn.GELU(approximate)
        self.fc2 = nn.Linear(4 * E, E)
        self.head = nn.Linear(E, VOCAB)

    def forward(self, tokens):
        x = self.emb(tokens)
        causal = ~np.tri(tokens.shape[1], dtype=bool)        # True = may not attend
        h = self.ln1(x)
        x = x + self.attn(h, h, h, attn_mask=causal, need_weights=False)[0]
        x = x + self.fc2(self.act(self.fc1(self.ln2(x))))
        return self.head(x)


def _torch_block(torch, approximate):
    tnn = torch.nn

    class TorchBlock(tnn.Module):
        def __init__(self):
            super().__init__()
            self.emb = tnn.Embedding(VOCAB, E)
            self.ln1 = tnn.LayerNorm(E)
            self.attn = tnn.MultiheadAttention(E, HEADS, batch_first=True)
            self.ln2 = tnn.RMSNorm(E)
            self.fc1 = tnn.Linear(E, 4 * E)
            self.act = tnn.GELU(approximate)
            self.fc2 = tnn.Linear(4 * E, E)
            self.head = tnn.Linear(E, VOCAB)

        def forward(self, tokens):
            x = self.emb(tokens)
            causal = torch.triu(torch.ones(tokens.shape[1], tokens.shape[1], dtype=torch.bool), 1)
            h = self.ln1(x)
            x = x + self.attn(h, h, h, attn_mask=causal, need_weights=False)[0]
            x = x + self.fc2(self.act(self.fc1(self.ln2(x))))
            return self.head(x)

    torch.manual_seed(0)
    block = TorchBlock()
    with torch.no_grad():                   # non-trivial norms and biases
        for p in block.parameters():
            p.add_(0.1 * torch.randn(p.shape))
    return block


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_transformer_block_matches_pytorch(torch, approximate):
    theirs = _torch_block(torch, approximate)
    ours = Block(approximate)
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert sorted(ours.state_dict()) == sorted(state)
    ours.load_state_dict(state)

    rng = np.random.default_rng(0)
    tokens = rng.integers(0, VOCAB, size=(BATCH, L))
    targets = rng.integers(0, VOCAB, size=(BATCH, L))
    logits = ours(tokens)
    loss = F.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1))
    t_logits = theirs(torch.tensor(tokens))
    t_loss = torch.nn.functional.cross_entropy(t_logits.reshape(-1, VOCAB),
                                               torch.tensor(targets).reshape(-1))
    np.testing.assert_allclose(logits.data, t_logits.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=1e-10)

    loss.backward()
    t_loss.backward()
    ours_params = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(ours_params[name].grad.data, p.grad.numpy(), rtol=1e-10,
                                   atol=1e-12, err_msg=name)


def test_causal_mask_keeps_the_future_out():
    mg.manual_seed(0)
    block = Block("none")
    tokens = np.array([[1, 2, 3, 4]])
    changed = tokens.copy()
    changed[0, -1] = 7                       # only the last token differs
    a, b = block(tokens).data, block(changed).data
    np.testing.assert_array_equal(a[0, :-1], b[0, :-1])
    assert not np.allclose(a[0, -1], b[0, -1])
