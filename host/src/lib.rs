//! warrant
