"""What a policy is: the policy model, its inline text, numbering and anchors, rules and schema. No I/O."""
