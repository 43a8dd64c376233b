/** The fold lives in tools/sim so the local A/B run shares it; the runtime tests import it from here. */
export { createFactOracle, type FactOracle } from '../../tools/sim/fact-oracle.js';
