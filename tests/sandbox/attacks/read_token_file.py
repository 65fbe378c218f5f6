"""Read the Hugging Face Hub token file under the home folder. Expected: forbidden."""
SECRET = globals().get("SECRET", "/root/.cache/huggingface/token")
with open(SECRET) as f:
    result = f.read()
