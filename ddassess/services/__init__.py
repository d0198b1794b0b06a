"""services layer.

Importing it registers the capture of operations (exchange/capture.py, installed by the
first ``Store.write()``): every store write made through services records the operations
of the shared records it changes.
"""

from ddassess.store import hooks as _hooks

_hooks.register("ddassess.exchange.capture")
