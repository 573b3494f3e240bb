"""Jurisdiction policy packs as data (``policies/packs/<code>/``) and the engine that applies them.

Public API: :func:`policies.engine.support_items`, :func:`policies.engine.support_table`,
:func:`policies.corporate_tax.tax_rates`, :func:`policies.corporate_tax.tax_regime`,
:func:`policies.registry.load_packs`, :func:`policies.engine.rules_in_force`,
:func:`policies.catalog.list_packs`, :func:`policies.catalog.show_pack`,
:func:`policies.explain.explain` (every rule in force per option, with its reason),
:func:`policies.attributes.attributes_read` (the columns the packs read); the item contract is
:mod:`policies.items`.
"""
