"""mitmproxy entry point: `mitmdump -s addons/capture2code.py --set c2c_output=capture.jsonl`.

Options: c2c_output, c2c_hosts, c2c_keep_secrets, c2c_env_file (`mitmdump --options` lists
them with their help). The work is done by `capture2code.mitm`.
"""

import os
import sys

# mitmproxy puts this script's folder first on sys.path, where this file would shadow the
# package of the same name; the repository root comes last, so that a checkout works
# without being installed and an installed package still wins.
_HERE = os.path.dirname(os.path.abspath(__file__))
_SAVED_PATH = sys.path[:]
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.append(os.path.dirname(_HERE))
try:
    from capture2code.mitm import Capture2Code
finally:
    sys.path[:] = _SAVED_PATH

addons = [Capture2Code()]
