/**
 * Versions of apply: what a replica does with a logged command. A release that changes the
 * outcome of some command (refuses what an older release applied, say) gets a new version, and
 * applies the new way only to commands the leader stamped with it (KvCommand.applyVersion). A
 * leader stamps a version only once every member has said it runs a release that applies it, so
 * members of two releases run side by side, each command applied alike everywhere, while a
 * cluster is upgraded one member at a time.
 *
 * The version a state was applied at (StateMeta.clusterVersion) only grows. A member whose
 * release cannot apply it stops, naming the versions, rather than apply the old way and
 * disagree with the rest: it refuses to open such a state, to restore such a snapshot, and to
 * apply a command stamped above what it implements.
 *
 * 1: the first release (commands carry no stamp).
 * 2: the store quota: a write past KvCommand.storeBytesMax is refused (quotaExceeded).
 * 3: leases: the leaseGrant and leaseRevoke commands and PutOp.lease (lease-command.ts). Below
 *    it a member applies them as the release before did: a lease command is invalid ('operation
 *    needs a key') and a put's lease is ignored.
 * 4: the key history (history.ts): every change is kept by revision from the first command
 *    applied at 4 on; deleteRange and compact are applied (refused as invalid below 4).
 * 5: placement: the setPlacement command sets StateMeta.placement (leader regions, survival
 *    goal); stamped below 5 it is answered invalid and changes nothing.
 * 6: auth changes (AuthOperation: users, roles, signing keys, the switch), applied to
 *    StateMeta.auth; stamped below 6 an auth change is answered invalid and changes nothing.
 * 7: fenced puts (PutRequest.if_fence_at_least). Apply is as at 6: the member that takes the put
 *    turns it into the fence txn (compare `__fence/<key>`, write it and the key), checked at apply
 *    like any txn. The version says every member parses the field: a member of an older release
 *    drops it and would forward or propose the put unfenced, so a fenced put is refused below 7.
 * 8: writes checked against the auth state they were authorized by: a command carrying
 *    KvCommand.authRevision (the auth state's revision the member that took it checked it
 *    against) is refused whole (authStale) when auth is on at apply and the state's revision is
 *    above it: an auth change (a role revoked, a user deleted, auth turned on) was applied between
 *    the check and the write. Below 8 the stamp is ignored, as an older release ignores the field.
 */
export const APPLY_VERSION_FIRST = 1;
export const APPLY_VERSION_QUOTA = 2;
export const APPLY_VERSION_LEASES = 3;
export const APPLY_VERSION_HISTORY = 4;
export const APPLY_VERSION_PLACEMENT = 5;
export const APPLY_VERSION_AUTH = 6;
export const APPLY_VERSION_FENCE = 7;
export const APPLY_VERSION_AUTH_REVISION = 8;
/** The newest version this release applies. */
export const APPLY_VERSION_LATEST = APPLY_VERSION_AUTH_REVISION;
