"""Pure capacity maths on a snapshot. No I/O, no NetBox client."""
