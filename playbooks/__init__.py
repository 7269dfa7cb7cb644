"""The SOP as code: requests, the state machine, the SLA clock, plan/apply."""
