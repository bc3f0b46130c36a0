//! Header follower (being written).
