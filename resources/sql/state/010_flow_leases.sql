-- SyncDesk state store, version 10: agents share a team's desk. agent_lease now holds one row
-- per flow ('flow/NAME': the agent that watches it; the flows that share a system are taken
-- together, all at once) and one per agent present ('agent/ID': the others count these to work
-- out their fair share of the flows). Version 9's single 'desk' row, which one agent held for
-- every flow, goes: an agent of version 9 refuses a store of version 10, so the two kinds never
-- watch one desk side by side.
DELETE FROM agent_lease WHERE name = 'desk'
