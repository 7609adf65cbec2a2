export {};
//# sourceMappingURL=bench-apply.d.ts.map