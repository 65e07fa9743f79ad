//! Realistic synthetic messages (written later in this issue).
