"""Use cases that read: what a staff member, an orderer or a contractor is shown."""
