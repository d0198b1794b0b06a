"""services layer.

Importing it installs the capture of operations (exchange/capture.py): every store write made
through services records the operations of the shared records it changes.
"""

from ddassess.exchange import capture as _capture

_capture.install()
