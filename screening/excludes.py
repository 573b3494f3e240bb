"""The ``excludes`` relation of options: mutually exclusive alternatives and their groups.

An option's ``excludes`` field lists option ids of the *same enterprise*, separated by ``;``
(DESIGN.md section 2), e.g. two boiler choices.  The relation is read symmetrically: "A excludes
B" written on either side (or both) means A and B are never carried out together.

An *exclusive group* is a connected component of the exclusion graph (options are nodes, each
pair an edge) with two or more options: A excludes B and B excludes C put A, B and C in one group,
although A and C do not name each other.  The consumers (``programme.exclusive``: an enterprise
takes up at most one option of a group; ``finance.portfolio.marginal_abatement_cost``: the curve
stacks one option of a group) treat a group as one choice among alternatives.  (Within a group of
a chain, A and C could in principle both be carried out; taking the whole component as one choice
is the conservative reading: it never counts two options that a user marked as alternatives to
a third as carried out together.)

Everything is vectorised (``pandas`` string operations, ``scipy.sparse.csgraph``): the programme
budget runs on a million options.

References
----------
.. [1] SciPy, ``scipy.sparse.csgraph.connected_components`` (breadth-first search over the
   compressed sparse graph).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["exclusion_pairs", "exclusive_groups"]


def exclusion_pairs(options: pd.DataFrame) -> np.ndarray:
    """Pairs of positions (i, j), i < j, of options that exclude each other.

    Parameters
    ----------
    options : pandas.DataFrame
        With ``option_id`` and optionally ``excludes`` (ids separated by ``;``; blank or missing:
        none) and ``enterprise_id`` (ids are resolved within the same enterprise).

    Returns
    -------
    numpy.ndarray
        Integer array of shape (k, 2), sorted, each pair once whichever side named the other.

    Raises
    ------
    ValueError
        When ``option_id`` is not unique within its enterprise, an id in ``excludes`` names no
        option of the same enterprise, or an option excludes itself (the message names the row,
        the option and the id).
    """
    empty = np.empty((0, 2), dtype=np.int64)
    if "excludes" not in options.columns or len(options) == 0:
        return empty
    raw = options["excludes"]
    has = np.flatnonzero(raw.notna().to_numpy(dtype=bool))
    if len(has) == 0:
        return empty
    text = raw.iloc[has].astype(str).str.strip()
    keep = (text != "").to_numpy(dtype=bool)
    has, text = has[keep], text[keep]
    if len(has) == 0:
        return empty
    n = len(options)
    # an option's key: (enterprise code, option id code) as one integer
    ent_code = (pd.factorize(options["enterprise_id"].astype(str))[0] if "enterprise_id" in options.columns
                else np.zeros(n, dtype=np.int64)).astype(np.int64)
    oid_code, oid_uniq = pd.factorize(options["option_id"].astype(str))
    width = np.int64(max(len(oid_uniq), 1))
    keys = pd.Index(ent_code * width + oid_code.astype(np.int64))
    if not keys.is_unique:
        i = int(np.flatnonzero(keys.duplicated())[0])
        raise ValueError(f"row {i} (option {options['option_id'].iloc[i]!r}): option_id is not unique within enterprise "
                         f"{options['enterprise_id'].iloc[i] if 'enterprise_id' in options.columns else ''!r}; "
                         "excludes cannot be resolved")
    named = pd.Series(text.to_numpy(dtype=object), index=has).str.split(";").explode().str.strip()
    named = named[(named != "").to_numpy(dtype=bool)]
    src = named.index.to_numpy(dtype=np.int64)
    other = named.to_numpy(dtype=object)
    other_code = pd.Index(oid_uniq).get_indexer(other).astype(np.int64)
    dst = np.where(other_code >= 0, keys.get_indexer(ent_code[src] * width + other_code), -1)
    if (dst < 0).any():
        k = int(np.flatnonzero(dst < 0)[0])
        i = int(src[k])
        raise ValueError(f"row {i} (option {options['option_id'].iloc[i]!r}): field 'excludes' names {other[k]!r}, "
                         "which is not an option of the same enterprise")
    if (dst == src).any():
        i = int(src[np.flatnonzero(dst == src)[0]])
        raise ValueError(f"row {i} (option {options['option_id'].iloc[i]!r}): field 'excludes' names the option itself")
    pairs = np.unique(np.column_stack([np.minimum(src, dst), np.maximum(src, dst)]), axis=0)
    return pairs.astype(np.int64)


def exclusive_groups(options: pd.DataFrame, pairs: np.ndarray | None = None) -> np.ndarray:
    """Exclusive group of each option: the connected components of the exclusion graph.

    Parameters
    ----------
    options : pandas.DataFrame
        As for :func:`exclusion_pairs`.
    pairs : numpy.ndarray, optional
        Precomputed :func:`exclusion_pairs` of ``options``.

    Returns
    -------
    numpy.ndarray
        One integer per option: its group number 0, 1, ... (numbered in the order of each group's
        first option), or -1 for an option that excludes no other and is excluded by none.

    Raises
    ------
    ValueError
        As :func:`exclusion_pairs`.

    References
    ----------
    SciPy connected_components [1]_.
    """
    n = len(options)
    if pairs is None:
        pairs = exclusion_pairs(options)
    group = np.full(n, -1, dtype=np.int64)
    if len(pairs) == 0:
        return group
    # scipy.sparse takes ~0.3 s to import: only when some option excludes another
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    nodes, local = np.unique(pairs.ravel(), return_inverse=True)
    local = local.reshape(-1, 2)
    m = len(nodes)
    graph = coo_array((np.ones(len(local)), (local[:, 0], local[:, 1])), shape=(m, m)).tocsr()
    _, comp = connected_components(graph, directed=False)
    # renumber by each component's first option (nodes are sorted, so first occurrence = first position)
    _, first = np.unique(comp, return_index=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    group[nodes] = rank[comp]
    return group
