"""What the model calls for one problem cost: tokens and seconds, summed over every stage."""

from __future__ import annotations


class Usage:
    def __init__(self):
        self.prompt_tokens = self.completion_tokens = 0
        self.seconds = 0.0

    def add(self, completion):
        self.prompt_tokens += completion.prompt_tokens
        self.completion_tokens += completion.completion_tokens
        self.seconds += completion.seconds
        return completion
