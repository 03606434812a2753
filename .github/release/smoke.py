"""The release workflow's test of an installed wheel or sdist: the package imports and talks to its
own simulator. Run from outside the source tree, in a venv without Rust on PATH."""

import shutil
import sys

import signalr_rest
from signalr_rest import ServiceClient, Simulator

expected = sys.argv[1]
assert signalr_rest.__version__ == expected, (signalr_rest.__version__, expected)
assert shutil.which("cargo") is None, "the package must not need Rust"
with Simulator() as sim:
    browser = sim.connect("chat")
    ServiceClient.from_connection_string(sim.connection_string).hub("chat").send_to_all("hi", 1)
    assert browser.received == [("hi", [1])], browser.received
print(f"python ok: signalr_rest {signalr_rest.__version__} from {signalr_rest.__file__}")
