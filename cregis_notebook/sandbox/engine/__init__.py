"""The sandbox engine: state, clock, scheduler, transfers, deposits, orders, callbacks, the team.

Imports nothing else of the sandbox (not ``api``, not ``http``, not the facade).
"""
