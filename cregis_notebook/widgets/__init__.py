"""Jupyter widgets for the Cregis API: thin shells over the client, the registry and the frames.

* :class:`RequestBuilder` -- pick an endpoint, fill a form generated from the registry, preview
  the signed body, send it, page through it, download the table as CSV;
* :func:`explore` -- a one-call dashboard: the builder, a quick plot and exports.
"""

from __future__ import annotations

from ..errors import ConfirmationRequired
from ._builder import RequestBuilder
from ._explore import Explorer, explore

__all__ = ["ConfirmationRequired", "Explorer", "RequestBuilder", "explore"]
