"""The conversation core: the only code that stores and reads turns and hand-off state.

- ``store``: turns and conversations in the database (write, read, erase);
- ``durable``: a write that survives a database outage (store, else the outbox);
- ``respond``: one caller message in, the reply out (validate -> store -> dialogue -> store);
- ``rasa``: the dialogue's webhook, its messages rendered as a reply, its health;
- ``fallback``: the dialogue while Rasa is down.

Import the submodule you need; this package module imports nothing, so the outbox can use the
store without a cycle.
"""
