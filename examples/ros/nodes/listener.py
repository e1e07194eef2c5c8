#!/usr/bin/python3
"""Print every message received on /chatter, one line each:
"received: hello N".

Usage: listener [COUNT]; COUNT also comes from the env. With a COUNT the
listener exits 0 after that many messages; without, it runs until stopped.
"""
import os
import sys
import threading

import rospy
from std_msgs.msg import String


def main():
    count = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("COUNT", "0"))
    got = 0
    done = threading.Event()

    def on_message(msg):
        nonlocal got
        got += 1
        print(f"received: {msg.data}", flush=True)
        if count and got >= count:
            done.set()

    rospy.init_node("listener", anonymous=True, disable_signals=True)
    rospy.Subscriber("/chatter", String, on_message)
    print("listener: subscribed to /chatter", flush=True)
    while not done.is_set() and not rospy.is_shutdown():
        done.wait(0.2)
    print(f"listener: {got} message(s)", flush=True)
    rospy.signal_shutdown("done")


if __name__ == "__main__":
    main()
