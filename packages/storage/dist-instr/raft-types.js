export {};
//# sourceMappingURL=raft-types.js.map