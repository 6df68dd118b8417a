"""The sandbox's adapters: httpx transports (in-process), the ASGI app and the uvicorn server.

They wrap anything matching :class:`~cregis_notebook.sandbox.http.port.Answering`; they import
the API service's answers and the engine's clock, never the facade.
"""
