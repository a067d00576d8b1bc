"""σ_max of every step Jacobian at once (the gradient-flow view's ‖∂s_t/∂s_{t−1}‖₂): the same
numbers as an SVD gives, to machine precision, for tame, huge and non-finite matrices."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn.diagnostics import largest_singular_values


@settings(max_examples=40, deadline=None)
@given(size=st.integers(1, 12), count=st.integers(1, 6), seed=st.integers(0, 2**31), scale=st.sampled_from([1e-150, 1e-3, 1.0, 1e3, 1e160]))
def test_largest_singular_values_agree_with_the_svd(size, count, seed, scale):
    matrices = np.random.default_rng(seed).standard_normal((count, size, size)) * scale
    expected = np.linalg.svd(matrices, compute_uv=False)[:, 0]
    assert np.allclose(largest_singular_values(matrices), expected, rtol=1e-12, atol=0)


def test_a_matrix_with_nan_or_inf_has_no_norm_and_leaves_the_others_alone():
    matrices = np.stack([np.eye(3) * 2.0, np.full((3, 3), np.nan), np.diag([np.inf, 1.0, 1.0]), np.diag([1.0, -5.0, 0.5])])
    norms = largest_singular_values(matrices)
    assert norms[0] == 2.0 and np.isnan(norms[1]) and np.isnan(norms[2]) and np.isclose(norms[3], 5.0, rtol=1e-15)
