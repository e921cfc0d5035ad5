"""The brain: persona, memory, safety and the engines that write replies."""
