"""Installment arithmetic of the three repayment methods, by method code:
0 equal installment (annuity), 1 equal principal, 2 interest-only with a bullet at maturity.

``r`` is the monthly rate and ``n`` the term in months; all functions are vectorised.
"""

from __future__ import annotations

import numpy as np


def _annuity(principal: np.ndarray, r: np.ndarray, n: np.ndarray) -> np.ndarray:
    growth = (1.0 + r) ** n
    return principal * r * growth / (growth - 1.0)


def first_payment(
    principal: np.ndarray, r: np.ndarray, n: np.ndarray, method: np.ndarray
) -> np.ndarray:
    """The first monthly installment."""
    annuity = _annuity(principal, r, n)
    eq_principal = principal / n + principal * r
    bullet = principal * r
    return np.where(method == 0, annuity, np.where(method == 1, eq_principal, bullet))


def amount_due(
    principal: np.ndarray, r: np.ndarray, n: np.ndarray, method: np.ndarray, j: np.ndarray
) -> np.ndarray:
    """The ``j``-th installment (1-based)."""
    annuity = _annuity(principal, r, n)
    eq_principal = principal / n + r * (principal - (j - 1) * principal / n)
    bullet = principal * r + np.where(j == n, principal, 0.0)
    return np.where(method == 0, annuity, np.where(method == 1, eq_principal, bullet))


def balance_after(
    principal: np.ndarray, r: np.ndarray, n: np.ndarray, method: np.ndarray, j: np.ndarray
) -> np.ndarray:
    """Scheduled principal outstanding after ``j`` installments are paid."""
    j = np.minimum(j, n)
    annuity = _annuity(principal, r, n)
    growth_j = (1.0 + r) ** j
    ei = principal * growth_j - annuity * (growth_j - 1.0) / r
    ep = principal * (1.0 - j / n)
    bullet = np.where(j >= n, 0.0, principal)
    out = np.where(method == 0, ei, np.where(method == 1, ep, bullet))
    return np.maximum(out, 0.0)
