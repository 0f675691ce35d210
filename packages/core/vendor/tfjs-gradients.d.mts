// The module only registers gradients (a side effect); it exports nothing.
export {};
