/**
 * The network node side: verified install/upgrade into read-only slots, atomic activation, rollback,
 * the execution guard and the hash-chained audit log (docs/node.md; TS 33.117 §4.2.3.3.5).
 */
package org.veripack.node;
