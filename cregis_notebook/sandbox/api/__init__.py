"""The sandbox's API service: request checks, endpoint handlers, faults and control endpoints.

Imports the engine, never ``http`` or the facade; the handlers reach the engine only through
:class:`~cregis_notebook.sandbox.api.port.EnginePort`.
"""
