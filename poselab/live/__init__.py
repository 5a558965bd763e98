"""The webcam stream: the per-frame processor, recording to the library, ICE servers."""
