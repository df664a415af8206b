/**
 * The network node side: verified install/upgrade into read-only slots, atomic activation, rollback,
 * the execution guard and the hash-chained audit log (DESIGN.md "Node root layout").
 */
package org.veripack.node;
