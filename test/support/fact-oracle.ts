/** The fold moved to src/sim so the local A/B run shares it; the runtime tests import it from here. */
export { createFactOracle, type FactOracle } from '../../tools/sim/fact-oracle.js';
