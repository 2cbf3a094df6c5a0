#!/usr/bin/env python3
"""An independent Varlink client for twmond's control socket: the `varlink` package from PyPI.

Usage: check_twmond.py SOCKET_PATH

Calls every method of org.varlink.service and io.twmon.Monitor through the library (which
fetches and parses the interface definitions twmond serves, so they must be valid IDL), and
checks every raw reply against those definitions: each required field present, no field the
definition lacks, every value of the declared type. Prints what the library returned as one
JSON object on stdout for the caller to compare values; exits 1 with a message on any problem.
"""

import json
import socket
import sys

import varlink
from varlink import scanner


class Mismatch(Exception):
    pass


def check_value(interface, vtype, value, path):
    """Raises Mismatch unless `value` (decoded JSON) is of Varlink type `vtype`."""
    if isinstance(vtype, scanner._Maybe):
        if value is None:
            return
        return check_value(interface, vtype.element_type, value, path)
    if value is None:
        raise Mismatch(f"{path}: missing")
    if isinstance(vtype, scanner._CustomType):
        return check_value(interface, interface.members[vtype.name], value, path)
    if isinstance(vtype, scanner._Alias):
        return check_value(interface, vtype.type, value, path)
    if isinstance(vtype, scanner._Struct):
        if not isinstance(value, dict):
            raise Mismatch(f"{path}: expected an object, got {value!r}")
        undeclared = set(value) - set(vtype.fields)
        if undeclared:
            raise Mismatch(f"{path}: fields not in the interface definition: {sorted(undeclared)}")
        for name, field_type in vtype.fields.items():
            check_value(interface, field_type, value.get(name), f"{path}.{name}")
    elif isinstance(vtype, scanner._Array):
        if not isinstance(value, list):
            raise Mismatch(f"{path}: expected an array, got {value!r}")
        for index, element in enumerate(value):
            check_value(interface, vtype.element_type, element, f"{path}[{index}]")
    elif isinstance(vtype, scanner._Dict):
        if not isinstance(value, dict):
            raise Mismatch(f"{path}: expected a map, got {value!r}")
        for key, element in value.items():
            check_value(interface, vtype.element_type, element, f"{path}[{key!r}]")
    elif isinstance(vtype, scanner._Enum):
        if value not in vtype.fields:
            raise Mismatch(f"{path}: {value!r} is not one of {list(vtype.fields)}")
    elif isinstance(vtype, bool):  # before int: bool is an int in Python
        if not isinstance(value, bool):
            raise Mismatch(f"{path}: expected bool, got {value!r}")
    elif isinstance(vtype, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise Mismatch(f"{path}: expected int, got {value!r}")
    elif isinstance(vtype, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Mismatch(f"{path}: expected float, got {value!r}")
    elif isinstance(vtype, str):
        if not isinstance(value, str):
            raise Mismatch(f"{path}: expected string, got {value!r}")
    elif not isinstance(vtype, scanner._Object):
        raise Mismatch(f"{path}: unknown type {vtype!r}")


def raw_call(path, method, parameters=None):
    """One call over a fresh connection, without the library: the reply exactly as sent."""
    message = {"method": method}
    if parameters is not None:
        message["parameters"] = parameters
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(10)
        connection.connect(path)
        connection.sendall(json.dumps(message).encode() + b"\0")
        received = b""
        while b"\0" not in received:
            chunk = connection.recv(65536)
            if not chunk:
                raise Mismatch(f"{method}: connection closed before the reply")
            received += chunk
    return json.loads(received[: received.index(b"\0")])


def check_reply(interfaces, path, method, parameters=None):
    """Checks the raw reply of a successful call against the method's output type."""
    interface_name, _, method_name = method.rpartition(".")
    interface = interfaces[interface_name]
    reply = raw_call(path, method, parameters)
    if "error" in reply:
        raise Mismatch(f"{method}: error reply {reply}")
    check_value(interface, interface.get_method(method_name).out_type, reply.get("parameters", {}), method)


def check_error(interfaces, path, method, parameters, expected_error):
    """Checks that a call fails with `expected_error`, whose parameters match its definition."""
    reply = raw_call(path, method, parameters)
    if reply.get("error") != expected_error:
        raise Mismatch(f"{method}: expected {expected_error}, got {reply}")
    interface_name, _, error_name = expected_error.rpartition(".")
    interface = interfaces[interface_name]
    check_value(interface, interface.members[error_name].type, reply.get("parameters", {}), expected_error)
    return reply["parameters"]


def main():
    path = sys.argv[1]
    client = varlink.Client(address=f"unix:{path}")
    result = {"interfaces": client.get_interfaces(), "info": client.info}

    # The library fetches and parses both definitions; Interface() raises on invalid IDL.
    descriptions = {}
    interfaces = {}
    with client.open("org.varlink.service", namespaced=False) as service:
        for name in result["interfaces"]:
            description = service.GetInterfaceDescription(name)["description"]
            descriptions[name] = description
            interfaces[name] = varlink.Interface(description)
    result["descriptions"] = descriptions

    with client.open("io.twmon.Monitor", namespaced=False) as monitor:
        result["status"] = monitor.GetStatus()
        result["ports"] = monitor.ListPorts()
        result["ports_selected"] = monitor.ListPorts(listeningOnly=True, state="TIME_WAIT", limit=1)
        result["alerts"] = monitor.ListAlerts()
        try:
            monitor.ListPorts(state="NO_SUCH_STATE")
            raise Mismatch("ListPorts(state: NO_SUCH_STATE) did not fail")
        except varlink.VarlinkError as error:
            result["invalid_state"] = {"error": error.error(), "parameters": error.parameters()}

    check_reply(interfaces, path, "org.varlink.service.GetInfo")
    check_reply(interfaces, path, "org.varlink.service.GetInterfaceDescription", {"interface": "io.twmon.Monitor"})
    check_reply(interfaces, path, "io.twmon.Monitor.GetStatus")
    check_reply(interfaces, path, "io.twmon.Monitor.ListPorts")
    check_reply(interfaces, path, "io.twmon.Monitor.ListPorts", {"listeningOnly": False, "state": "LISTEN", "limit": 2})
    check_reply(interfaces, path, "io.twmon.Monitor.ListAlerts")
    result["errors"] = {
        "method_not_found": check_error(interfaces, path, "io.twmon.Monitor.Reboot", None, "org.varlink.service.MethodNotFound"),
        "interface_not_found": check_error(interfaces, path, "com.example.Nothing.Get", None, "org.varlink.service.InterfaceNotFound"),
        "invalid_parameter": check_error(interfaces, path, "io.twmon.Monitor.ListPorts", {"limit": -1}, "org.varlink.service.InvalidParameter"),
        "invalid_state": check_error(interfaces, path, "io.twmon.Monitor.ListPorts", {"state": "NOPE"}, "io.twmon.Monitor.InvalidState"),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    try:
        main()
    except Mismatch as problem:
        print(f"check_twmond: {problem}", file=sys.stderr)
        sys.exit(1)
