"""Every lifecycle of the platform, as data, applied by one engine; who sees what, decided once;
and the one announcement of every change (audit and outbox in the change's transaction)."""
