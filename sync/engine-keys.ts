// Meta keys the sync engine writes and the scheduler reads, apart so neither imports the other.

/** JSON list of `{agentName, pending}`: agents whose records wait for a sign-in (no token of theirs here). */
export const waitingKey = 'sync_waiting_agents';
