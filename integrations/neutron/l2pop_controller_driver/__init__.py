"""Neutron producer for l2pop-controller: an ML2 mechanism driver plus L3 HA and agent hooks.

Neutron's port, HA-router and agent changes become the controller's inbound events
(`src/contracts/events.ts`). Each change writes a journal row in the transaction that makes it
(`db.py`); a worker publishes pending rows to the controller's SQS FIFO queues and marks them
sent (`worker.py`), so a crash between commit and publish loses nothing.
"""
