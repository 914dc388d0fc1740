package newsletter

// SetDeliveryHooks makes every Outbox of this process call before as a
// worker starts a delivery and after once its outcome is recorded (or its
// row given back), so a test can stop the sender exactly between two
// messages. Set them before any Outbox runs.
func SetDeliveryHooks(before, after func()) {
	deliveryHooks = hooks{before: before, after: after}
}
