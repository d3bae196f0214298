"""A Modbus TCP device (an alarm tower's I/O module) for the demo and the tests: Debian's pymodbus 3.0, coils and holding registers.

Prints "listening PORT" once it serves, then one line per write ("coil ADDRESS 0 1 ..." or
"register ADDRESS VALUE ..."), so a test can wait for what a device was told.
Usage: /usr/bin/python3 modbus-device.py PORT [SIZE]   (PORT 0: any free port)
"""
import asyncio
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server.async_io import ModbusTcpServer


class ReportingBlock(ModbusSequentialDataBlock):
    def __init__(self, kind, size):
        super().__init__(0, [0] * size)
        self.kind = kind

    def setValues(self, address, values):  # noqa: N802 (pymodbus' name)
        super().setValues(address, values)
        if not isinstance(values, list):
            values = [values]
        print(self.kind, address, *(int(v) for v in values), flush=True)


async def main():
    port = int(sys.argv[1])
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    slave = ModbusSlaveContext(co=ReportingBlock("coil", size), hr=ReportingBlock("register", size), zero_mode=True)
    server = ModbusTcpServer(ModbusServerContext(slaves=slave, single=True), address=("127.0.0.1", port),
                             allow_reuse_address=True)
    task = asyncio.create_task(server.serve_forever())
    await server.serving
    print("listening", server.server.sockets[0].getsockname()[1], flush=True)
    await task


asyncio.run(main())
