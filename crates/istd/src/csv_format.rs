//! Samenspel's CSV format for assignments and claim lines (see docs/productie-import.md).
