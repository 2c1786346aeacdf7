package dev.strata.inspect;

import com.google.common.collect.ImmutableList;

/**
 * What one layer did to the tree below it. Non-directories and directories are counted
 * apart: every layer lists the directories its files are in, so "modified" is kept for
 * non-directories.
 *
 * @param added the layer's non-directory entries at paths the tree below did not show
 * @param modified the layer's non-directory entries at paths the tree below showed
 * @param deleted the non-directories the tree below showed and the tree above no longer shows
 *     as a non-directory (explicit whiteouts, opaque directories, directories replaced by a
 *     non-directory, non-directories replaced by a directory), as the tree below held them
 * @param dirsAdded the layer's directory entries at paths the tree below did not show
 * @param dirsDeleted the directories the tree below showed and the tree above does not show as
 *     a directory
 */
public record LayerChanges(ImmutableList<TreeNode> added, ImmutableList<TreeNode> modified,
    ImmutableList<TreeNode> deleted, ImmutableList<TreeNode> dirsAdded, ImmutableList<TreeNode> dirsDeleted) {}
