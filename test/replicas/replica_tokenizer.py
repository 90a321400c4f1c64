"""The replicas' tokenizer: a small deterministic byte-level BPE with Phi's special tokens.

Not Phi's tokenizer (real ones are tested elsewhere): 256 bytes and NUM_MERGES merges learnt
from CORPUS, then the specials. A full-size replica pads the vocabulary with plain word tokens
(never produced by encoding) so that every row of its embedding decodes to text.
"""

import re

SPECIALS = ["<s>", "</s>", "<|endoftext|>", "<|assistant|>", "<|system|>", "<|end|>", "<|user|>"]
NUM_MERGES = 50
CORPUS = """
The model reads the whole workspace and answers questions about the code.
A rotary position embedding rotates each pair of dimensions by an angle that
grows with the position; LongRoPE rescales those angles so that the model can
read sequences longer than the window it was trained on. The factors are
searched, and the short set is used for prompts that fit in the original
window while the long set is used beyond it. When the set changes, the keys
that are already in the cache were rotated by the other set, so the cache must
be rebuilt. Summarize the file, then explain the function that handles the
request and the tests that check it.
"""
PRETOKEN = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+")

PHI3_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}"
    "{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}"
    "{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}"
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}"
)
PHI4_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% else %}{{ eos_token }}{% endif %}"
)


def bytes_to_unicode():
    """GPT-2's byte -> printable character table, which the ByteLevel pre-tokenizer uses."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    chars = printable[:]
    n = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(printable, chars)}


def train_bpe():
    """Deterministic byte-level BPE on CORPUS: most frequent pair first, ties by the pair itself."""
    table = bytes_to_unicode()
    words = {}
    for piece in PRETOKEN.findall(CORPUS.strip()):
        symbols = tuple(table[b] for b in piece.encode("utf-8"))
        words[symbols] = words.get(symbols, 0) + 1
    merges = []
    for _ in range(NUM_MERGES):
        pairs = {}
        for word, count in words.items():
            for pair in zip(word, word[1:]):
                pairs[pair] = pairs.get(pair, 0) + count
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        merged = {}
        for word, count in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + count
        words = merged
    vocab = {table[b]: b for b in range(256)}
    for a, b in merges:
        vocab[a + b] = len(vocab)
    return vocab, [f"{a} {b}" for a, b in merges]


def tokenizer_files(spec):
    vocab, merges = train_bpe()
    first_special = len(vocab)
    special_ids = {tok: first_special + i for i, tok in enumerate(SPECIALS)}
    assert first_special + len(SPECIALS) <= spec["vocab"]
    if spec.get("fill_vocab"):
        # "Ġw<id>" decodes to " w<id>": plain words, no turn markers, one per remaining row.
        vocab = {**vocab, **{f"\u0120w{i}": i for i in range(first_special + len(SPECIALS), spec["vocab"])}}
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": i, "content": tok, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}
            for tok, i in special_ids.items()
        ],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
            "vocab": vocab, "merges": merges,
        },
    }
    if spec["family"] == "phi4":
        bos, eos, pad, template = "<|endoftext|>", "<|endoftext|>", "<|endoftext|>", PHI4_TEMPLATE
        eos_ids = [special_ids["<|endoftext|>"], special_ids["<|end|>"]]
    else:
        bos, eos, pad, template = "<s>", "<|endoftext|>", "<|endoftext|>", PHI3_TEMPLATE
        eos_ids = [special_ids["<|end|>"], special_ids["<|assistant|>"], special_ids["<|endoftext|>"]]
    tokenizer_config = {
        "add_bos_token": False,
        "add_eos_token": False,
        "added_tokens_decoder": {
            str(i): {"content": tok, "lstrip": False, "normalized": False, "rstrip": False,
                     "single_word": False, "special": True}
            for tok, i in special_ids.items()
        },
        "bos_token": bos,
        "chat_template": template,
        "clean_up_tokenization_spaces": False,
        "eos_token": eos,
        "model_max_length": spec["max_pos"],
        "pad_token": pad,
        "tokenizer_class": "GPT2Tokenizer",
    }
    special_map = {
        "bos_token": {"content": bos, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False},
        "eos_token": {"content": eos, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False},
        "pad_token": {"content": pad, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False},
    }
    ids = {"bos": special_ids[bos], "eos": eos_ids, "pad": special_ids[pad]}
    return tokenizer, tokenizer_config, special_map, ids


