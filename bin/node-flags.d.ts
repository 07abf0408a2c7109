/** The Node.js flags Airlock runs with (node-flags.js). */
export declare const NODE_FLAGS: readonly string[];
