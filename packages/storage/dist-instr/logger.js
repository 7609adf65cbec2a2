export const silentLogger = {
    info() { },
    warn() { },
    error() { },
};
//# sourceMappingURL=logger.js.map