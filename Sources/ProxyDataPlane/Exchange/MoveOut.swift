/// `value` moved out, `placeholder` left in its place. A state machine's transition takes its
/// case's payload this way: binding the payload from the state copies it, retaining every
/// reference inside, to release them again when the state is written back.
@inline(__always)
func moveOut<Value>(_ value: inout Value, leaving placeholder: Value) -> Value {
    var taken = placeholder
    swap(&taken, &value)
    return taken
}
