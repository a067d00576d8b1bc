"""σ_max and ρ of large W_hh blocks are measured in a process of their own (LAPACK holds the GIL
while it runs, which froze the window): the same numbers as in place, and in place when the
process is gone."""

import os

import numpy as np
import pytest

from explorer.spectra_process import IN_PLACE_SIZE, SpectraProcess
from rnn.diagnostics import block_spectra, regime
from rnn.params import NetworkSpec, init_params


@pytest.fixture
def spectra():
    process = SpectraProcess()
    yield process
    process.close()


def large_blocks(n=3, size=IN_PLACE_SIZE + 32, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((size, size)) / np.sqrt(size) for _ in range(n)]


def test_large_blocks_get_the_same_numbers_from_the_process(spectra):
    blocks = large_blocks()
    sigmas, radii = spectra(blocks)
    assert spectra._executor is not None                       # they went to the process
    assert (sigmas, radii) == block_spectra(blocks)            # bit for bit: the same routine
    # independent check: σ_max² is the largest eigenvalue of WᵀW, ρ the largest |λ|
    for block, sigma, rho in zip(blocks, sigmas, radii):
        assert sigma == pytest.approx(np.sqrt(np.max(np.linalg.eigvalsh(block.T @ block))), rel=1e-12)
        assert rho == pytest.approx(np.max(np.abs(np.linalg.eigvals(block))), rel=1e-12)


def test_small_blocks_are_measured_in_place_without_a_process(spectra):
    blocks = large_blocks(size=IN_PLACE_SIZE)
    assert spectra(blocks) == block_spectra(blocks)
    assert spectra._executor is None


def test_the_regime_through_the_process_is_the_regime(spectra):
    spec = NetworkSpec(cell="lstm", input_size=2, hidden_size=IN_PLACE_SIZE + 4, output_size=1, num_layers=2)
    params = init_params(spec, seed=3)
    assert regime(params, spec, spectra) == regime(params, spec)


def test_a_killed_process_is_replaced_by_measuring_in_place(spectra):
    blocks = large_blocks(n=1)
    spectra(blocks)
    for pid in list(spectra._executor._processes):
        os.kill(pid, 9)
    assert spectra(blocks) == block_spectra(blocks)
    assert spectra._executor is None


def test_after_closing_every_block_is_measured_in_place(spectra):
    spectra.close()
    blocks = large_blocks(n=1)
    assert spectra(blocks) == block_spectra(blocks)
    assert spectra._executor is None
