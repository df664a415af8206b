/**
 * The 3GPP SCAS conformance harness (TS 33.117 §4.2.3.3.5, TC_SW_PKG_INTEGRITY_1) and its reports.
 */
package org.veripack.scas;
